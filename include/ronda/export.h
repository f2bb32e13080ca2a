/* What libronda exports: RONDA_API marks every function of the public API (the headers of include/ronda).
 *
 * The library is compiled with -fvisibility=hidden, so a function without RONDA_API stays
 * inside it: libronda.so exports only the ronda_ functions these headers declare, and the
 * public libronda.a has its other symbols made local (docs/architecture.md, "The public API").
 * Internal modules (src/) keep their short names (net_new, store_stmt...) without clashing
 * with a program that links libronda and has functions of the same names. */
#ifndef RONDA_EXPORT_H
#define RONDA_EXPORT_H

#if defined(__GNUC__)
#define RONDA_API __attribute__((visibility("default")))
#else
#define RONDA_API
#endif

#endif
