/*
 * config_edit.h — making image configs: from nothing (import), from an
 * existing image (commit), step by step (build).  Changes are given as
 * Containerfile instructions, as podman's --change takes them: CMD,
 * ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD (kept nowhere: ignored, as in
 * OCI configs), STOPSIGNAL, USER, VOLUME, WORKDIR.
 */
#ifndef CPOD_IMAGE_CONFIG_EDIT_H
#define CPOD_IMAGE_CONFIG_EDIT_H
#include "manifest.h"

typedef struct config_list {
	char **v;
	size_t n;
	bool set;      /* given, even empty (Entrypoint: [] clears) */
} config_list;

typedef struct config_edit {
	char *user, *working_dir, *stop_signal, *author;
	config_list env, entrypoint, cmd, volumes, exposed_ports;
	config_list label_keys, label_values;
	char *architecture, *os, *variant;
	config_list diff_ids;
	/* history: created_by / comment / empty_layer triples, oldest first */
	config_list hist_created, hist_by, hist_comment, hist_empty;
	char *healthcheck_json;   /* kept as is */
} config_edit;

/* Starts from base (NULL: an empty linux config of this machine). */
CPOD_INTERNAL int config_edit_init(config_edit *c, const image_config *base, cpod_err *err);
CPOD_INTERNAL void config_edit_free(config_edit *c);
/* One instruction: "CMD [\"sh\"]", "ENV A=1 B=2", "EXPOSE 80/tcp"... */
CPOD_INTERNAL int config_edit_change(config_edit *c, const char *instruction, cpod_err *err);
CPOD_INTERNAL int config_edit_add_layer(config_edit *c, const char *diff_id, cpod_err *err);
CPOD_INTERNAL int config_edit_add_history(config_edit *c, const char *created, const char *created_by,
					  const char *comment, bool empty_layer, cpod_err *err);
/* Forgets the layers and history of the base (a commit of a copied root
 * file system has a single full layer). */
CPOD_INTERNAL void config_edit_clear_layers(config_edit *c);
/* Takes Env, Cmd, Entrypoint, WorkingDir, User, StopSignal and Labels from
 * a container's Config (as inspect shows it) where it has them. */
CPOD_INTERNAL int config_edit_from_container(config_edit *c, const json_value *cfg, cpod_err *err);
/* The config JSON (created: RFC 3339 time of the image). */
CPOD_INTERNAL char *config_edit_write(const config_edit *c, const char *created, cpod_err *err);

#endif
