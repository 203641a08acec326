/* mcugen device protocol core: see mcugen_protocol.h and PROTOCOL.md. */
#include "mcugen_protocol.h"

#include <string.h>

enum { WAIT_START, LEN_LO, LEN_HI, PAYLOAD, CRC_LO, CRC_HI };

#define BYTE_TIMEOUT_MS 50u

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor (bitwise: no
 * table, so it costs no flash on AVR; frames are short). */
uint16_t mcugen_crc16(uint16_t crc, const uint8_t *data, uint16_t n) {
    uint16_t i;
    uint8_t bit;
    for (i = 0; i < n; i++) {
        crc = (uint16_t)(crc ^ (uint16_t)((uint16_t)data[i] << 8));
        for (bit = 0; bit < 8u; bit++) {
            crc = (crc & 0x8000u) ? (uint16_t)((uint16_t)(crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

static void put_u16(uint8_t *out, uint16_t v) {
    out[0] = (uint8_t)(v & 0xFFu);
    out[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *out, uint32_t v) {
    out[0] = (uint8_t)(v & 0xFFu);
    out[1] = (uint8_t)((v >> 8) & 0xFFu);
    out[2] = (uint8_t)((v >> 16) & 0xFFu);
    out[3] = (uint8_t)(v >> 24);
}

/* Sends buf[0 .. n) as one frame; the CRC covers the length bytes and the payload. */
static void send_frame(const mcugen_proto *p, uint16_t n) {
    uint8_t head[3];
    uint8_t tail[2];
    uint16_t crc;
    head[0] = MCUGEN_PROTO_START;
    put_u16(&head[1], n);
    crc = mcugen_crc16(0xFFFFu, &head[1], 2u);
    crc = mcugen_crc16(crc, p->buf, n);
    put_u16(tail, crc);
    p->io->write(head, 3u);
    p->io->write(p->buf, n);
    p->io->write(tail, 2u);
}

static void send_error(const mcugen_proto *p, uint8_t seq, uint8_t code) {
    p->buf[0] = MCUGEN_MSG_ERROR;
    p->buf[1] = seq;
    p->buf[2] = code;
    send_frame(p, 3u);
}

static void answer_hello(const mcugen_proto *p) {
    const mcugen_model *m = p->model;
    uint8_t *body = &p->buf[MCUGEN_PROTO_HEADER];
    body[0] = MCUGEN_PROTO_VERSION;
    put_u32(&body[1], m->hash);
    put_u16(&body[5], m->n_features);
    put_u16(&body[7], m->n_outputs);
    body[9] = m->input_size;
    body[10] = m->input_kind;
    body[11] = p->io->counter_kind;
    put_u32(&body[12], p->io->counter_hz);
    put_u16(&body[16], p->capacity);
    p->buf[0] = MCUGEN_MSG_HELLO | MCUGEN_MSG_REPLY;
    send_frame(p, MCUGEN_PROTO_HEADER + MCUGEN_HELLO_BODY);
}

static void answer_predict(const mcugen_proto *p, uint8_t type) {
    const mcugen_model *m = p->model;
    uint8_t *body = &p->buf[MCUGEN_PROTO_HEADER];
    uint16_t row_bytes = (uint16_t)(m->n_features * m->input_size);
    uint16_t n = MCUGEN_PROTO_HEADER + MCUGEN_PREDICT_BODY;
    uint32_t start, elapsed;
    int32_t prediction;
    uint16_t i;
    if (p->length != MCUGEN_PROTO_HEADER + row_bytes) {
        send_error(p, p->buf[1], MCUGEN_ERR_ROW_SIZE);
        return;
    }
    /* Copy out of the byte buffer: the model reads aligned input_t values. */
    memcpy(m->row, body, row_bytes);
    start = p->io->counter();
    prediction = m->predict(m->row);
    elapsed = p->io->counter() - start;
    elapsed = elapsed > p->overhead ? elapsed - p->overhead : 0u;
    put_u32(&body[0], (uint32_t)prediction);
    put_u32(&body[4], elapsed);
    if (type == MCUGEN_MSG_PREDICT_SCORES) {
        m->scores_of(m->row, m->scores);
        for (i = 0; i < m->n_outputs; i++) {
            put_u32(&body[MCUGEN_PREDICT_BODY + 4u * i], (uint32_t)m->scores[i]);
        }
        n = (uint16_t)(n + 4u * m->n_outputs);
    }
    p->buf[0] = (uint8_t)(type | MCUGEN_MSG_REPLY);
    send_frame(p, n);
}

static void dispatch(const mcugen_proto *p) {
    uint8_t type = p->buf[0];
    if (type == MCUGEN_MSG_HELLO) {
        answer_hello(p);
    } else if (type == MCUGEN_MSG_PREDICT || type == MCUGEN_MSG_PREDICT_SCORES) {
        answer_predict(p, type);
    } else {
        send_error(p, p->buf[1], MCUGEN_ERR_TYPE);
    }
}

static void frame_done(mcugen_proto *p) {
    uint8_t len[2];
    uint16_t crc;
    p->state = WAIT_START;
    put_u16(len, p->length);
    crc = mcugen_crc16(0xFFFFu, len, 2u);
    crc = mcugen_crc16(crc, p->buf, p->length);
    if (crc != p->crc) {
        /* The sequence number may be the corrupted byte: the host retries on any error. */
        send_error(p, p->length > 1u ? p->buf[1] : 0u, MCUGEN_ERR_CRC);
        return;
    }
    dispatch(p);
}

void mcugen_proto_feed(mcugen_proto *p, uint8_t byte) {
    p->last_byte = p->io->counter();
    switch (p->state) {
    case WAIT_START: /* bytes between frames are noise: skip them */
        if (byte == MCUGEN_PROTO_START) p->state = LEN_LO;
        break;
    case LEN_LO:
        p->length = byte;
        p->state = LEN_HI;
        break;
    case LEN_HI:
        p->length = (uint16_t)(p->length | (uint16_t)((uint16_t)byte << 8));
        p->received = 0;
        if (p->length < MCUGEN_PROTO_HEADER || p->length > p->capacity) {
            /* Not a frame we could hold: most likely a noise byte taken for a start byte. */
            p->state = WAIT_START;
            send_error(p, 0u, MCUGEN_ERR_LENGTH);
        } else {
            p->state = PAYLOAD;
        }
        break;
    case PAYLOAD:
        p->buf[p->received++] = byte;
        if (p->received == p->length) p->state = CRC_LO;
        break;
    case CRC_LO:
        p->crc = byte;
        p->state = CRC_HI;
        break;
    default: /* CRC_HI */
        p->crc = (uint16_t)(p->crc | (uint16_t)((uint16_t)byte << 8));
        frame_done(p);
        break;
    }
}

void mcugen_proto_poll(mcugen_proto *p) {
    if (p->state != WAIT_START && (uint32_t)(p->io->counter() - p->last_byte) > p->byte_timeout) {
        p->state = WAIT_START; /* a truncated frame: forget it so the next one parses */
    }
}

void mcugen_proto_init(mcugen_proto *p, const mcugen_model *model, const mcugen_io *io,
                       uint8_t *buf, uint16_t capacity) {
    uint32_t a, b;
    memset(p, 0, sizeof *p);
    p->model = model;
    p->io = io;
    p->buf = buf;
    p->capacity = capacity;
    p->state = WAIT_START;
    p->byte_timeout = (io->counter_hz / 1000u) * BYTE_TIMEOUT_MS;
    /* The cost of reading a cycle counter itself, so a reply reports the model's cycles only
     * (a microsecond or nanosecond clock is too coarse or too noisy for this to help). */
    a = io->counter();
    b = io->counter();
    p->overhead = io->counter_kind == MCUGEN_COUNTER_CYCLES ? b - a : 0u;
}
