"""Reading export files: locating inputs, decoding text, reading spreadsheets."""
