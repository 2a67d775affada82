"""The city's keys: root, signing keys, rotation and the signed key list."""
