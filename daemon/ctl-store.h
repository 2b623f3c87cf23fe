/*
 * ctl-store.h: the netiquettectl commands that read the daemon's state
 * database: "audit verify", "audit show" (ctl-audit.c) and "evidence
 * export" (ctl-evidence.c).  Each group is one ctl_command whose argv[0]
 * is the group name and argv[1] the subcommand.  They open the store in
 * the state directory given by --state, else $STATE_DIRECTORY (set by
 * systemd for StateDirectory=), else CTL_STATE_DEFAULT.
 */
#ifndef NQ_CTL_STORE_H
#define NQ_CTL_STORE_H

#include "ctl.h"
#include "store.h"

#define CTL_STATE_DEFAULT	"/var/lib/netiquetted"
/* audit verify found a broken chain; evidence export found a bad hash */
#define CTL_EXIT_TAMPERED	1

/* ctl-audit.c */
extern const struct ctl_command ctl_audit_entry;
int		 ctl_audit(int argc, char **argv);
/* Opens the store in dir (NULL: the default); prints the error itself. */
struct store	*ctl_store_open(const char *dir);
/*
 * Resolves an item given as the platform's id or the store's row id;
 * prints the error itself.  0 or -1.
 */
int		 ctl_store_item(struct store *, const char *arg, int64_t *id);
/* "ctl:<login name>", the actor of entries the tool appends. */
const char	*ctl_store_actor(void);

/* ctl-evidence.c */
extern const struct ctl_command ctl_evidence_entry;
int		 ctl_evidence(int argc, char **argv);

#endif
