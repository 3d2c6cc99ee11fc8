/* Protobuf wire format: fields, varints, UTF-8, and whether nested OTLP messages are
 * well formed.
 *
 * The checks accept a strict subset of what protobuf accepts: a message they refuse is
 * handed to protobuf itself, so refusing too much only costs speed, never correctness.
 */
#include "wire.h"

enum { MAX_DEPTH = 32 }; /* protobuf allows 100: deeper spans are left to it */

typedef enum { SCHEMA_STATUS, SCHEMA_EVENT, SCHEMA_LINK, SCHEMA_KEY_VALUE, SCHEMA_ANY_VALUE,
               SCHEMA_ARRAY, SCHEMA_KEY_VALUE_LIST } Schema;

/* A varint of at most 10 bytes (as protobuf's Python reader allows); `overflow` set when its
 * value needs more than 64 bits, which the scope scanner reports apart from a truncation. */
int wire_varint_scan(const unsigned char **cursor, const unsigned char *end, uint64_t *out,
                     int *overflow)
{
    const unsigned char *p = *cursor;
    uint64_t value = 0;
    *overflow = 0;
    for (int i = 0; i < 10; i++) {
        if (p >= end)
            return 0;
        unsigned char byte = *p++;
        if (i == 9 && (byte & 0x7F) > 1)
            *overflow = 1;
        value |= (uint64_t)(byte & 0x7F) << (7 * i);
        if (byte < 0x80) {
            *cursor = p;
            *out = value;
            return 1;
        }
    }
    return 0;
}

int wire_varint(const unsigned char **cursor, const unsigned char *end, uint64_t *out)
{
    const unsigned char *start = *cursor;
    int overflow;
    if (!wire_varint_scan(cursor, end, out, &overflow))
        return 0;
    if (overflow) {
        *cursor = start;
        return 0;
    }
    return 1;
}

/* Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF), as protobuf checks
 * proto3 strings. */
int wire_utf8_valid(const unsigned char *p, const unsigned char *end)
{
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        int extra;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (end - p <= extra)
            return 0;
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        p += extra + 1;
    }
    return 1;
}

int wire_next_field(const unsigned char **cursor, const unsigned char *end, Field *field)
{
    uint64_t tag, length;
    if (!wire_varint(cursor, end, &tag) || tag >> 3 == 0 || tag >> 3 > 0x1FFFFFFF)
        return 0;
    field->number = tag >> 3;
    field->wire_type = (int)(tag & 7);
    switch (field->wire_type) {
    case 0:
        return wire_varint(cursor, end, &field->varint);
    case 1:
    case 5: {
        size_t size = field->wire_type == 1 ? 8 : 4;
        if ((size_t)(end - *cursor) < size)
            return 0;
        field->start = *cursor;
        *cursor += size;
        field->end = *cursor;
        return 1;
    }
    case 2:
        if (!wire_varint(cursor, end, &length) || length > (uint64_t)(end - *cursor))
            return 0;
        field->start = *cursor;
        *cursor += length;
        field->end = *cursor;
        return 1;
    default:
        return 0; /* groups and invalid wire types: left to protobuf */
    }
}

/* The wire type a known field must have, or -1 for an unknown field (skipped). Field kinds:
 * 'u' UTF-8 string, 'm' message of schema `*nested`, anything else a scalar. */
static int expected(Schema schema, uint64_t number, char *kind, Schema *nested)
{
    *kind = 's';
    switch (schema) {
    case SCHEMA_STATUS:
        if (number == 2) return *kind = 'u', 2;
        if (number == 3) return 0;
        return -1;
    case SCHEMA_EVENT:
        if (number == 1) return 1;
        if (number == 2) return *kind = 'u', 2;
        if (number == 3) return *kind = 'm', *nested = SCHEMA_KEY_VALUE, 2;
        if (number == 4) return 0;
        return -1;
    case SCHEMA_LINK:
        if (number == 1 || number == 2) return 2;
        if (number == 3) return *kind = 'u', 2;
        if (number == 4) return *kind = 'm', *nested = SCHEMA_KEY_VALUE, 2;
        if (number == 5) return 0;
        if (number == 6) return 5;
        return -1;
    case SCHEMA_KEY_VALUE:
        if (number == 1) return *kind = 'u', 2;
        if (number == 2) return *kind = 'm', *nested = SCHEMA_ANY_VALUE, 2;
        return -1;
    case SCHEMA_ANY_VALUE:
        if (number == 1) return *kind = 'u', 2;
        if (number == 2 || number == 3) return 0;
        if (number == 4) return 1;
        if (number == 5) return *kind = 'm', *nested = SCHEMA_ARRAY, 2;
        if (number == 6) return *kind = 'm', *nested = SCHEMA_KEY_VALUE_LIST, 2;
        if (number == 7) return 2;
        return -1;
    case SCHEMA_ARRAY:
        if (number == 1) return *kind = 'm', *nested = SCHEMA_ANY_VALUE, 2;
        return -1;
    case SCHEMA_KEY_VALUE_LIST:
        if (number == 1) return *kind = 'm', *nested = SCHEMA_KEY_VALUE, 2;
        return -1;
    }
    return -1;
}

/* Whether protobuf would accept `[p, end)` as a message of `schema` (strict subset). */
static int valid_message(Schema schema, const unsigned char *p, const unsigned char *end,
                         int depth)
{
    if (depth > MAX_DEPTH)
        return 0;
    while (p < end) {
        Field field;
        char kind;
        Schema nested = SCHEMA_STATUS;
        if (!wire_next_field(&p, end, &field))
            return 0;
        int wire_type = expected(schema, field.number, &kind, &nested);
        if (wire_type < 0)
            continue; /* unknown fields are kept by protobuf, never read */
        if (wire_type != field.wire_type)
            return 0;
        if (kind == 'u' && !wire_utf8_valid(field.start, field.end))
            return 0;
        if (kind == 'm' && !valid_message(nested, field.start, field.end, depth + 1))
            return 0;
    }
    return 1;
}

int wire_valid_status(const unsigned char *p, const unsigned char *end)
{
    return valid_message(SCHEMA_STATUS, p, end, 1);
}

int wire_valid_event(const unsigned char *p, const unsigned char *end)
{
    return valid_message(SCHEMA_EVENT, p, end, 1);
}

int wire_valid_link(const unsigned char *p, const unsigned char *end)
{
    return valid_message(SCHEMA_LINK, p, end, 1);
}

int wire_valid_any_value(const unsigned char *p, const unsigned char *end)
{
    return valid_message(SCHEMA_ANY_VALUE, p, end, 2);
}
