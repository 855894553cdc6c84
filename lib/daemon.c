#include "daemon.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t *stop_flag;
static volatile sig_atomic_t *reload_flag;

static void on_stop(int sig)
{
	(void)sig;
	if (stop_flag)
		*stop_flag = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	if (reload_flag)
		*reload_flag = 1;
}

void daemon_install_signals(volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	struct sigaction sa;

	stop_flag = stop;
	reload_flag = reload;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = reload ? on_reload : SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int daemon_endpoint_allowed(const char *endpoint, bool insecure, char *err, size_t errlen)
{
	bool ipc = strncmp(endpoint, "ipc://", 6) == 0;
	if (insecure && !ipc)
		return cv_fail(err, errlen, CV_ECONFIG,
			       "%s: plaintext (--insecure) is allowed on ipc:// endpoints only",
			       endpoint);
	return 0;
}

int daemon_start_zap(void *zctx, struct zap **out, char *err, size_t errlen)
{
	const char *off = getenv("CANVASS_TEST_DISABLE_ZAP");
	*out = NULL;
	if (off != NULL && strcmp(off, "1") == 0)
		return 0;
	return zap_start(out, zctx, err, errlen);
}
