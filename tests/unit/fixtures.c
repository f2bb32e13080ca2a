#include "fixtures.h"
int fixtures_unused;
