#include "server.h"
#include "server_internal.h"
#include "returns.h"
#include "error.h"
#include "log.h"
#include "wire.h"

/* A member's read of its own returns (relayed by its collector), answered now. */
void aggregator_answer_read(struct aggregator *a, struct slot *sl)
{
	Canvass__StoreReply rep = CANVASS__STORE_REPLY__INIT;
	const Canvass__StoreRequest *req = sl->req;
	bool fetch = req->read == CANVASS__READ_KIND__READ_FETCH;
	int rc;

	rep.protocol_version = WIRE_PROTOCOL_VERSION;
	rep.ticket = req->ticket;
	if (req->member[0] == '\0' || (req->read != CANVASS__READ_KIND__READ_STATUS && !fetch) ||
	    (fetch && (req->questionnaire[0] == '\0' || req->cycle[0] == '\0'))) {
		aggregator_reply_status(
			a, sl->rid, sl->rid_len, req->ticket, CANVASS__STATUS__MALFORMED,
			"a read names its member (and, to fetch, questionnaire and cycle)");
		metric_add(a->m_results, "malformed", 1);
		return;
	}
	rc = review_answer_read(a->cfg.store, req, &rep);
	if (rc != 0) {
		review_read_clear(&rep);
		log_event(LOG_WARN, "read_failed", "error=\"%s\"", cv_strerror(rc));
		aggregator_reply_status(a, sl->rid, sl->rid_len, req->ticket,
					CANVASS__STATUS__INTERNAL,
					"the store could not be read; retry later");
		return;
	}
	aggregator_send_reply(a, sl->rid, sl->rid_len, &rep);
	review_read_clear(&rep);
	metric_add(a->m_reads, fetch ? "fetch" : "status", 1);
}
