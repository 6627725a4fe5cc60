// text_format.cpp - being written.
