// Two threads hold different AMX tile configs and data and hand the CPU to
// each other through pipes (each blocks, so every turn is a context switch).
// A lost config shows as SIGILL (#UD) at the tile store, lost data as a diff.
// (STTILECFG is not used: Bochs raises #UD on it.)
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
typedef struct { uint8_t palette, start; uint8_t pad[14]; uint16_t colsb[16]; uint8_t rows[16]; } __attribute__((packed, aligned(64))) cfg_t;
static int p1[2], p2[2];
static int check(int who, int rounds) {
  cfg_t cfg; memset(&cfg, 0, sizeof cfg); cfg.palette = 1;
  for (int t = 0; t < 8; t++) { cfg.rows[t] = who ? 16 : 8; cfg.colsb[t] = who ? 64 : 32; }
  static int8_t data[2][16][64]; int8_t out[16][64];
  for (int i = 0; i < 16; i++) for (int j = 0; j < 64; j++) data[who][i][j] = (int8_t)(i * 64 + j + who * 33);
  printf("thread %d: load\n", who); _tile_loadconfig(&cfg); printf("thread %d: config loaded\n", who); _tile_loadd(5, data[who], 64); printf("thread %d: data loaded\n", who);
  int bad = 0; char c = 0;
  for (int r = 0; r < rounds; r++) {
    if (who == 0) { write(p1[1], &c, 1); read(p2[0], &c, 1); } else { read(p1[0], &c, 1); write(p2[1], &c, 1); }
    if (r == 0) printf("thread %d: switched\n", who);
    memset(out, 0, sizeof out); _tile_stored(5, out, 64);
    int rows = who ? 16 : 8, cols = who ? 64 : 32, diff = 0;
    for (int i = 0; i < rows; i++) diff += memcmp(out[i], data[who][i], cols) != 0;
    if (diff) { if (!bad) printf("thread %d round %d: %d tile rows lost\n", who, r, diff); bad++; }
  }
  _tile_release();
  printf("thread %d: %d of %d switches lost tile state\n", who, bad, rounds);
  return bad;
}
static void *other(void *arg) { (void)arg; return (void *)(intptr_t)check(1, 200); }
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (syscall(SYS_arch_prctl, 0x1023, 18)) { printf("no AMX permission\n"); return 2; }
  pipe(p1); pipe(p2);
  pthread_t t; pthread_create(&t, NULL, other, NULL);
  int bad = check(0, 200); void *r; pthread_join(t, &r);
  return bad || (intptr_t)r ? 1 : 0;
}
