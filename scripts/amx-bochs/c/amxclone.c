// The main thread holds tiles while it creates and joins threads (as ggml's
// disposable thread pool does); each new thread loads its own config.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
typedef struct { uint8_t palette, start; uint8_t pad[14]; uint16_t colsb[16]; uint8_t rows[16]; } __attribute__((packed, aligned(64))) cfg_t;
static cfg_t cfg;
static int8_t data[16][64];
static void *worker(void *arg) { (void)arg; _tile_loadconfig(&cfg); _tile_zero(4); _tile_loadd(5, data, 64); return NULL; }
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (syscall(SYS_arch_prctl, 0x1023, 18)) { printf("no AMX permission\n"); return 2; }
  cfg.palette = 1; for (int t = 0; t < 8; t++) { cfg.rows[t] = 16; cfg.colsb[t] = 64; }
  for (int i = 0; i < 16; i++) for (int j = 0; j < 64; j++) data[i][j] = (int8_t)(i * 3 + j);
  _tile_loadconfig(&cfg); _tile_loadd(5, data, 64);
  int8_t out[16][64]; int bad = 0;
  for (int r = 0; r < 50; r++) {
    pthread_t t; pthread_create(&t, NULL, worker, NULL); pthread_join(t, NULL);
    if (r == 0) printf("first thread joined\n");
    _tile_zero(4);
    memset(out, 0, sizeof out); _tile_stored(5, out, 64); bad += memcmp(out, data, sizeof out) != 0;
  }
  printf("main thread after 50 thread create/join: %d times tile data lost\n", bad);
  return bad != 0;
}
