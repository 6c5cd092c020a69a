/* version.h - dbready's version; the Makefile may override it from git. */
#ifndef DBREADY_VERSION
#define DBREADY_VERSION "0.1.0"
#endif
