// lackey_import.cpp - being written.
