# startup: an empty program; measures interpreter start and exit.
