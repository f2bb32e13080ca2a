/* Test fixtures shared by the unit tests. */
#ifndef RONDA_TEST_FIXTURES_H
#define RONDA_TEST_FIXTURES_H
#include "ronda/ronda.h"
#endif
