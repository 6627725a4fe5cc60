// mem_replay.cpp - being written.
