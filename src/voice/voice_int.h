/* voice_int.h — what the files of src/voice share. */
#ifndef WS_VOICE_INT_H
#define WS_VOICE_INT_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* A setting of voice_params as an integer (WS_ESTORE when missing). */
ws_err voice_param_int(store_conn *c, const char *name, int64_t *out);
/* Forget every rate-limit counter (tests). */
void voice_admit_reset(void);

#endif
