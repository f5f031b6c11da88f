"""Work program screens (namespace `workplans`): reads in screens.py, POST actions in actions.py,
Excel exports in exports.py."""
