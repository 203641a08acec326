/* Binds the protocol core to the model named in the generated mcugen_model.h. */
#ifndef MCUGEN_BINDING_H
#define MCUGEN_BINDING_H

#include "mcugen_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sets up `p` to answer for the model; `io` must outlive `p`. */
void mcugen_binding_start(mcugen_proto *p, const mcugen_io *io);

#ifdef __cplusplus
}
#endif

#endif
