/*
 * Stand-in for the TlsTcpClient library's header (Particle's mbedTLS-based
 * TLS client): the public calls the examples use, declared as that library
 * declares them, so the examples compile without it. The sizes passed to
 * init() count the PEM's terminating NUL, as mbedTLS requires.
 */
#ifndef FLASHDATA_TEST_TLS_TCP_CLIENT_STUB_H
#define FLASHDATA_TEST_TLS_TCP_CLIENT_STUB_H

#include "Particle.h"

class TlsTcpClient {
public:
  TlsTcpClient();
  ~TlsTcpClient();
  int init(const char *rootCaPem, const size_t rootCaPemSize);
  int init(const char *rootCaPem, const size_t rootCaPemSize,
           const char *clientCertPem, const size_t clientCertPemSize,
           const char *clientKeyPem, const size_t clientKeyPemSize);
  int connect(char *domain, uint16_t port);
  bool verify();
  int write(unsigned char *buff, int length);
  int read(unsigned char *buff, int length);
  int available();
  bool isConnected();
  void stop();
};

#endif
