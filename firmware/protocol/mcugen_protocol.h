/* mcugen device protocol: framing, CRC-16/CCITT-FALSE and request dispatch.
 *
 * Portable C99 with no Arduino, libc-I/O or chip dependency: the caller feeds received bytes
 * in (mcugen_proto_feed), gives a byte-out callback and a free-running counter, and the core
 * answers HELLO and PREDICT requests. The same file builds for the host, avr-gcc and
 * arm-none-eabi-gcc. The wire format is described in PROTOCOL.md beside this file.
 */
#ifndef MCUGEN_PROTOCOL_H
#define MCUGEN_PROTOCOL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCUGEN_PROTO_VERSION 1u
#define MCUGEN_PROTO_START 0xA5u
#define MCUGEN_PROTO_HEADER 2u /* message type, sequence number */

/* Message types; a reply has the request's type | 0x80. */
#define MCUGEN_MSG_HELLO 0x01u
#define MCUGEN_MSG_PREDICT 0x02u
#define MCUGEN_MSG_PREDICT_SCORES 0x03u
#define MCUGEN_MSG_REPLY 0x80u
#define MCUGEN_MSG_ERROR 0xFFu

/* Error codes carried by an ERROR reply. */
#define MCUGEN_ERR_CRC 1u
#define MCUGEN_ERR_LENGTH 2u
#define MCUGEN_ERR_TYPE 3u
#define MCUGEN_ERR_ROW_SIZE 4u

/* What the counter counts (reported by HELLO). */
#define MCUGEN_COUNTER_CYCLES 0u
#define MCUGEN_COUNTER_MICROS 1u
#define MCUGEN_COUNTER_NANOS 2u

/* Input encodings (reported by HELLO). */
#define MCUGEN_INPUT_FLOAT 0u
#define MCUGEN_INPUT_SIGNED 1u
#define MCUGEN_INPUT_UNSIGNED 2u

#define MCUGEN_HELLO_BODY 18u
#define MCUGEN_PREDICT_BODY 8u

/* Bytes a frame buffer needs for a model (payload of the largest request or reply). */
#define MCUGEN_PROTO_BUFFER_SIZE(n_features, input_size, n_outputs) \
    (MCUGEN_PROTO_HEADER + \
     (((n_features) * (input_size)) > (MCUGEN_PREDICT_BODY + 4u * (n_outputs)) \
          ? (((n_features) * (input_size)) > MCUGEN_HELLO_BODY ? (n_features) * (input_size) \
                                                                 : MCUGEN_HELLO_BODY) \
          : ((MCUGEN_PREDICT_BODY + 4u * (n_outputs)) > MCUGEN_HELLO_BODY \
                 ? MCUGEN_PREDICT_BODY + 4u * (n_outputs) : MCUGEN_HELLO_BODY)))

/* The model, seen through function pointers so this core never includes a model header. */
typedef struct {
    uint32_t hash;
    uint16_t n_features;
    uint16_t n_outputs;
    uint8_t input_size;   /* sizeof(input_t) */
    uint8_t input_kind;   /* MCUGEN_INPUT_* */
    void *row;            /* aligned scratch of n_features * input_size bytes */
    int32_t *scores;      /* scratch of n_outputs values */
    int32_t (*predict)(const void *row);
    void (*scores_of)(const void *row, int32_t *scores);
} mcugen_model;

typedef struct {
    void (*write)(const uint8_t *bytes, uint16_t n); /* byte-out; may block */
    uint32_t (*counter)(void);                        /* free running, wraps at 2^32 */
    uint32_t counter_hz;                              /* counter ticks per second */
    uint8_t counter_kind;                             /* MCUGEN_COUNTER_* */
} mcugen_io;

typedef struct {
    const mcugen_model *model;
    const mcugen_io *io;
    uint8_t *buf;           /* frame payload buffer */
    uint16_t capacity;
    uint16_t length;        /* payload length announced by the frame */
    uint16_t received;      /* payload (+ CRC) bytes received so far */
    uint16_t crc;           /* received CRC */
    uint8_t state;
    uint32_t last_byte;     /* counter value at the last byte of an unfinished frame */
    uint32_t byte_timeout;  /* counter ticks after which an unfinished frame is dropped */
    uint32_t overhead;      /* counter ticks of two back-to-back reads, subtracted */
} mcugen_proto;

uint16_t mcugen_crc16(uint16_t crc, const uint8_t *data, uint16_t n);

/* `buf` holds MCUGEN_PROTO_BUFFER_SIZE(...) bytes; the core keeps no other state. */
void mcugen_proto_init(mcugen_proto *p, const mcugen_model *model, const mcugen_io *io,
                       uint8_t *buf, uint16_t capacity);
/* Byte-in: one received byte; replies are written from inside this call. */
void mcugen_proto_feed(mcugen_proto *p, uint8_t byte);
/* Call while no byte is waiting: drops a frame whose sender went quiet (resync). */
void mcugen_proto_poll(mcugen_proto *p);

#ifdef __cplusplus
}
#endif

#endif
