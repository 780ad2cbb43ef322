/*
 * ringsweep/export.h - RSW_EXTERN marks the public API.
 *
 * libringsweep is built with -fvisibility=hidden: only declarations
 * marked RSW_EXTERN are exported from the shared library, so internals
 * (rsw__ names, static helpers, the libraries linked into it) never
 * become part of its ABI.  RSW_PLUGIN_EXPORT does the same for the
 * symbols an objective plugin defines, so a plugin built with hidden
 * visibility still exports them.
 */
#ifndef RINGSWEEP_EXPORT_H
#define RINGSWEEP_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define RSW_EXTERN __attribute__((visibility("default")))
#define RSW_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define RSW_EXTERN
#define RSW_PLUGIN_EXPORT
#endif

#endif
