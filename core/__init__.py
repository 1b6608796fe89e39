"""What every Canopy app shares: scoping, the Job row, the system actor, view helpers.

The bottom of the house: it imports Django and libraries, never another Canopy app
(import-linter checks it). Apps above reach models they need by label through Django's app
registry, never by import.
"""
