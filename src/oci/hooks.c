/*
 * hooks.c — running hooks with the state on stdin (see hooks.h).
 */
#include "hooks.h"
#include "../base/proc.h"
#include <sys/wait.h>

CPOD_INTERNAL const char *hooks_kind_name(enum oci_hook_kind k)
{
	static const char *const names[HOOK_KINDS] = {
		"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"
	};
	return names[k];
}

CPOD_INTERNAL int hooks_run(const oci_hooks *hooks, enum oci_hook_kind kind,
			    const char *state_json, cpod_err *err)
{
	bool fatal = kind != HOOK_POSTSTART && kind != HOOK_POSTSTOP;

	for (size_t i = 0; i < hooks->n[kind]; i++) {
		const oci_hook *h = &hooks->list[kind][i];
		proc_run_opts o = {
			.path = h->path,
			.argv = h->args,
			.envp = h->env,
			.input = state_json,
			.input_len = state_json ? strlen(state_json) : 0,
			.timeout_ms = h->timeout > 0 ? h->timeout * 1000 : 0,
			.stdout_fd = -1,
			.stderr_fd = -1,
		};
		cpod_err herr;
		int status = 0;
		int r = proc_run(&o, &status, &herr);
		if (r == 0 && status != 0) {
			r = -1;
			if (WIFEXITED(status))
				err_set(&herr, CPOD_E_SYS, "exited with status %d", WEXITSTATUS(status));
			else
				err_set(&herr, CPOD_E_SYS, "killed by signal %d", WTERMSIG(status));
		}
		if (r < 0) {
			if (!fatal) {
				log_warn("%s hook %s: %s", hooks_kind_name(kind), h->path, herr.msg);
				continue;
			}
			if (err)
				*err = herr;
			return err_prefix(err, "%s hook %s", hooks_kind_name(kind), h->path);
		}
	}
	return 0;
}
