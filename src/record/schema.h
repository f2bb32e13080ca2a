/* Body schemas (internal): self-check of the field tables and the enum value lists. */
#ifndef RONDA_SCHEMA_H
#define RONDA_SCHEMA_H

/* Asserts that every field table is in canonical key order. Called by ronda_init(). */
void schema_selfcheck(void);

/* The allowed values of "programme", "category", "status" or "role"; NULL-terminated. */
const char *const *schema_enum_values(const char *what);

#endif
