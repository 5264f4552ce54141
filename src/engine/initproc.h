/*
 * initproc.h — --init's binary (see initproc.c): where the program that
 * uses the library lives, so it can be bound into containers as their
 * init.
 */
#ifndef CPOD_ENGINE_INITPROC_H
#define CPOD_ENGINE_INITPROC_H
#include "engine.h"

/* Records the executable (cpod_set_supervisor_exe calls it). */
CPOD_INTERNAL void engine_set_self_exe(const char *path);
/* That path, else /proc/self/exe's target; NULL when unknown. */
CPOD_INTERNAL const char *engine_self_exe(void);
/* The binary --init binds in: engine_self_exe(), checked to be a static
 * ELF executable. */
CPOD_INTERNAL int initproc_exe_path(char *out, size_t n, cpod_err *err);

#endif
