/*
 * A program that vendors cpod: it is built from cpod.c and cpod.h alone
 * (see the vendor-check target), to prove the amalgamation stands by itself.
 */
#include "cpod.h"
#include <stdio.h>
#include <string.h>

int main(void)
{
	cpod_err err;
	cpod_err_clear(&err);
	printf("cpod %s\n", CPOD_VERSION);
	return err.code;
}
