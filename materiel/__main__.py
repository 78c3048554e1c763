from materiel.cli import main

main()
