"""The observed series a scenario's `observed:` entries may name, and the fields of each.

Kept here, below the loaders in `materiel.observe`, so that validating a scenario needs no
data library; the loaders read exactly these fields.
"""

from __future__ import annotations

#: By the name scenarios give the series: Ukraine's General Staff daily counts (the columns of
#: the published files) and Oryx's visually confirmed losses (its categories, then two totals).
SERIES_FIELDS: dict[str, tuple[str, ...]] = {
    "general_staff": ("aircraft", "helicopter", "tank", "apc", "field_artillery", "mrl", "drone", "naval_ship",
                      "anti_aircraft_warfare", "special_equipment", "vehicles_and_fuel_tanks", "cruise_missiles",
                      "submarines", "personnel", "pow"),
    "oryx": ("tank", "afv", "ifv", "apc", "mrap", "imv", "engineering_vehicle", "command_post",
             "self_propelled_atgm", "artillery_support_vehicle", "towed_artillery", "self_propelled_artillery",
             "mrl", "anti_aircraft_gun", "self_propelled_anti_aircraft_gun", "sam_system", "radar", "jammer",
             "aircraft", "helicopter", "uav", "ugv", "naval_ship", "truck",
             "armoured_combat_vehicles", "field_artillery"),
}
