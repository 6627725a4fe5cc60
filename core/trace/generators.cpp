// generators.cpp - being written.
