// Mutual TLS with the CA certificate, the device certificate and its private
// key taken from the flash sector, parsed by mbedTLS in place (no RAM copy).
// Uses the TlsTcpClient library (mbedTLS). Build the image with the PEM files
// NUL-terminated, which mbedTLS needs to parse PEM:
//
//   flashdata push certs --nul-terminate '*.pem'
//
// with certs/ca.pem, certs/device.pem and certs/device-key.pem in the folder.
#include "Particle.h"
#include "TlsTcpClient.h"
#include "electron-flash-file.h"

FlashFile ff;
TlsTcpClient client;

// Finds a NUL-terminated file; data / length are what mbedTLS takes.
bool pemFile(const char *name, const char **data, size_t *length) {
  FlashFileInfo info;
  const uint8_t *bytes;
  int res = ff.getFileByName(name, &info);
  if (res == FLASHFILE_NO_ERROR) {
    res = ff.getFileDataWithNul(&info, &bytes, length);
  }
  if (res != FLASHFILE_NO_ERROR) {
    // FLASHFILE_NOT_TERMINATED (7): built without --nul-terminate for this file.
    Serial.printlnf("%s: unusable (res=%d)", name, res);
    return false;
  }
  *data = reinterpret_cast<const char *>(bytes);
  return true;
}

void setup() {
  Serial.begin(9600);
  delay(3000);
  if (ff.validateCrc() != FLASHFILE_NO_ERROR) {
    Serial.println("no valid flash data image; run: flashdata push <folder> --nul-terminate '*.pem'");
    return;
  }
  const char *ca, *cert, *key;
  size_t caLength, certLength, keyLength;
  if (!pemFile("certs/ca.pem", &ca, &caLength) || !pemFile("certs/device.pem", &cert, &certLength) ||
      !pemFile("certs/device-key.pem", &key, &keyLength)) {
    return;
  }
  client.init(ca, caLength, cert, certLength, key, keyLength);
  char host[] = "device.example.com";
  client.connect(host, 443);
  if (!client.verify()) {
    Serial.println("server certificate not accepted");
    client.stop();
    return;
  }
  unsigned char request[] = "GET / HTTP/1.0\r\nHost: device.example.com\r\n\r\n";
  client.write(request, sizeof(request) - 1);
}

void loop() {
  unsigned char buf[128];
  if (client.isConnected() && client.available() > 0) {
    int n = client.read(buf, sizeof(buf));
    if (n > 0) {
      Serial.write(buf, static_cast<size_t>(n));
    }
  }
}
