/*
 * Parses certificates and a key straight from the stand-in flash slot with
 * mbedTLS, through the reader, and prints what each step gave as one JSON
 * object per line:
 *
 *   tls-check <slot-file>
 *
 * The slot is expected to hold certs/ca.pem, certs/device.pem,
 * certs/device-key.pem (PEM) and certs/device.der (the device certificate
 * in DER).
 */
#include "Particle.h"

#include "electron-flash-file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

uint8_t flashdata_stub_slot[FLASHDATA_STUB_SLOT_SIZE];

namespace {

FlashFile ff;

bool inSlot(const uint8_t *data, size_t length) {
  return data >= flashdata_stub_slot && length <= static_cast<size_t>(flashdata_stub_slot + sizeof(flashdata_stub_slot) - data);
}

// A stored file's bytes as the reader handed them out.
struct Buffer {
  int res;
  const uint8_t *data;
  size_t length;
};

// countNul: getFileDataWithNul (PEM for mbedTLS), else getFileData (DER).
Buffer stored(const char *name, bool countNul) {
  Buffer buffer = {0, NULL, 0};
  FlashFileInfo info;
  buffer.res = ff.getFileByName(name, &info);
  if (buffer.res == FLASHFILE_NO_ERROR) {
    buffer.res = countNul ? ff.getFileDataWithNul(&info, &buffer.data, &buffer.length)
                          : ff.getFileData(&info, &buffer.data, &buffer.length);
  }
  return buffer;
}

void printBuffer(const char *event, const char *name, const Buffer &buffer, int parsed) {
  printf("{\"event\":\"%s\",\"name\":\"%s\",\"res\":%d,\"length\":%zu,\"inSlot\":%s,\"parse\":%d}\n", event, name, buffer.res,
         buffer.length, buffer.res == FLASHFILE_NO_ERROR && inSlot(buffer.data, buffer.length) ? "true" : "false", parsed);
}

int parseCert(mbedtls_x509_crt *crt, const Buffer &buffer) {
  return buffer.res == FLASHFILE_NO_ERROR ? mbedtls_x509_crt_parse(crt, buffer.data, buffer.length) : -1;
}

#if MBEDTLS_VERSION_MAJOR >= 3
// mbedTLS 3 takes a random generator for key checks (blinding); a test needs no entropy.
int testRandom(void *, unsigned char *out, size_t length) {
  for (size_t ii = 0; ii < length; ii++) {
    out[ii] = static_cast<unsigned char>(rand());
  }
  return 0;
}
#endif

int parseKey(mbedtls_pk_context *key, const Buffer &buffer) {
  if (buffer.res != FLASHFILE_NO_ERROR) {
    return -1;
  }
#if MBEDTLS_VERSION_MAJOR >= 3
  return mbedtls_pk_parse_key(key, buffer.data, buffer.length, NULL, 0, testRandom, NULL);
#else
  // mbedTLS 2.x (Debian bookworm ships 2.28): no random generator argument.
  return mbedtls_pk_parse_key(key, buffer.data, buffer.length, NULL, 0);
#endif
}

int checkPair(mbedtls_pk_context *pub, mbedtls_pk_context *key) {
#if MBEDTLS_VERSION_MAJOR >= 3
  return mbedtls_pk_check_pair(pub, key, testRandom, NULL);
#else
  return mbedtls_pk_check_pair(pub, key);
#endif
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tls-check <slot-file>\n");
    return 2;
  }
  memset(flashdata_stub_slot, 0xff, sizeof(flashdata_stub_slot));
  FILE *file = fopen(argv[1], "rb");
  if (file == NULL) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  size_t loaded = fread(flashdata_stub_slot, 1, sizeof(flashdata_stub_slot), file);
  fclose(file);
  printf("{\"event\":\"loaded\",\"bytes\":%zu,\"mbedtls\":\"%s\",\"crc\":%d}\n", loaded, MBEDTLS_VERSION_STRING, ff.validateCrc());

  mbedtls_x509_crt ca, device, der, caWithoutNul;
  mbedtls_pk_context key;
  mbedtls_x509_crt_init(&ca);
  mbedtls_x509_crt_init(&device);
  mbedtls_x509_crt_init(&der);
  mbedtls_x509_crt_init(&caWithoutNul);
  mbedtls_pk_init(&key);

  Buffer caPem = stored("certs/ca.pem", true);
  printBuffer("pem", "certs/ca.pem", caPem, parseCert(&ca, caPem));
  Buffer devicePem = stored("certs/device.pem", true);
  printBuffer("pem", "certs/device.pem", devicePem, parseCert(&device, devicePem));
  Buffer keyPem = stored("certs/device-key.pem", true);
  printBuffer("key", "certs/device-key.pem", keyPem, parseKey(&key, keyPem));
  // DER needs no terminator: the plain zero-copy call is enough.
  Buffer deviceDer = stored("certs/device.der", false);
  printBuffer("der", "certs/device.der", deviceDer, parseCert(&der, deviceDer));
  // What firmware did before: the entry's length, which has no NUL in it.
  Buffer caPlain = stored("certs/ca.pem", false);
  printBuffer("pem-without-nul", "certs/ca.pem", caPlain, parseCert(&caWithoutNul, caPlain));

  uint32_t flags = 0;
  int verified = ca.raw.p != NULL && device.raw.p != NULL ? mbedtls_x509_crt_verify(&device, &ca, NULL, NULL, &flags, NULL, NULL) : -1;
  int pair = device.raw.p != NULL && mbedtls_pk_get_type(&key) != MBEDTLS_PK_NONE ? checkPair(&device.pk, &key) : -1;
  bool sameCert = der.raw.p != NULL && device.raw.p != NULL && der.raw.len == device.raw.len && memcmp(der.raw.p, device.raw.p, der.raw.len) == 0;
  char subject[256] = "";
  if (device.raw.p != NULL) {
    mbedtls_x509_dn_gets(subject, sizeof(subject), &device.subject);
  }
  printf("{\"event\":\"chain\",\"verify\":%d,\"flags\":%u,\"keyMatchesCert\":%d,\"derIsDeviceCert\":%s,\"subject\":\"%s\"}\n", verified,
         static_cast<unsigned>(flags), pair, sameCert ? "true" : "false", subject);

  mbedtls_x509_crt_free(&ca);
  mbedtls_x509_crt_free(&device);
  mbedtls_x509_crt_free(&der);
  mbedtls_x509_crt_free(&caWithoutNul);
  mbedtls_pk_free(&key);
  return 0;
}
