/* TEMPORARY stubs until the cgroup and seccomp modules are merged. */
#include "cgroup.h"
#include "seccomp.h"
CPOD_INTERNAL enum cg_mode cg_detect(void) { return CG_NONE; }
CPOD_INTERNAL int cg_v1_hierarchies(const cg_v1_hierarchy **list, size_t *n) { *list = NULL; *n = 0; return 0; }
CPOD_INTERNAL const char *cg_unified_mountpoint(void) { return ""; }
CPOD_INTERNAL int cg_resolve(const char *cgroups_path, const char *id, cg_paths *out, cpod_err *err) { memset(out, 0, sizeof(*out)); return 0; }
CPOD_INTERNAL int cg_enter(const cg_paths *p, pid_t pid, const oci_resources *res, bool rootless, cpod_err *err) { return 0; }
CPOD_INTERNAL int cg_join(const cg_paths *p, pid_t pid, cpod_err *err) { return 0; }
CPOD_INTERNAL int cg_update(const cg_paths *p, const oci_resources *res, cpod_err *err) { return err_set(err, CPOD_E_UNSUPPORTED, "stub"); }
CPOD_INTERNAL int cg_pids(const cg_paths *p, pid_t **pids, size_t *n, cpod_err *err) { *pids = NULL; *n = 0; return 0; }
CPOD_INTERNAL int cg_freeze(const cg_paths *p, bool frozen, cpod_err *err) { return err_set(err, CPOD_E_UNSUPPORTED, "stub"); }
CPOD_INTERNAL int cg_is_frozen(const cg_paths *p) { return -1; }
CPOD_INTERNAL int cg_kill_all(const cg_paths *p, int sig, cpod_err *err) { return 0; }
CPOD_INTERNAL int cg_destroy(const cg_paths *p, cpod_err *err) { return 0; }
CPOD_INTERNAL int cg_stats(const cg_paths *p, json_w *w, cpod_err *err) { jw_obj_begin(w); jw_obj_end(w); return 0; }
CPOD_INTERNAL long cg_oom_kills(const cg_paths *p) { return -1; }
CPOD_INTERNAL void cg_paths_write(json_w *w, const cg_paths *p) { jw_obj_begin(w); jw_obj_end(w); }
CPOD_INTERNAL int cg_paths_read(const json_value *v, cg_paths *p, cpod_err *err) { memset(p, 0, sizeof(*p)); return 0; }
struct seccomp_filter { int x; };
CPOD_INTERNAL seccomp_filter *seccomp_compile(const json_value *seccomp, cpod_err *err) { err_set(err, CPOD_E_UNSUPPORTED, "stub"); return NULL; }
CPOD_INTERNAL int seccomp_load_filter(seccomp_filter *f, cpod_err *err) { return 0; }
CPOD_INTERNAL void seccomp_filter_free(seccomp_filter *f) { }
CPOD_INTERNAL bool seccomp_filter_is_noop(const seccomp_filter *f) { return true; }
CPOD_INTERNAL const char *seccomp_default_profile_json(void) { return "{}"; }
CPOD_INTERNAL void seccomp_features(json_w *w) { jw_obj_begin(w); jw_obj_end(w); }
const char *cpod_default_seccomp_profile(void) { return "{}"; }
