/*
 * ringsweep/version.h - the library's version (CMakeLists.txt reads it
 * from here: one place).  The shared library's SONAME changes with the
 * major version; within 0.x, with the minor one.
 */
#ifndef RINGSWEEP_VERSION_H
#define RINGSWEEP_VERSION_H

#define RSW_VERSION_MAJOR 0
#define RSW_VERSION_MINOR 3
#define RSW_VERSION_PATCH 0
#define RSW_VERSION_STRING "0.3.0"

#endif
