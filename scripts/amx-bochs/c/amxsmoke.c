// AMX smoke test: ask Linux for tile data, multiply int8 tiles, compare.
#include <immintrin.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sched.h>
#include <sys/wait.h>
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18
typedef struct { uint8_t palette, start; uint8_t pad[14]; uint16_t colsb[16]; uint8_t rows[16]; } __attribute__((packed)) cfg_t;
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  long r = syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA);
  printf("arch_prctl(ARCH_REQ_XCOMP_PERM) = %ld\n", r);
  if (r) return 2;
  static int8_t a[16][64], b[16][64]; static int32_t c[16][16], want[16][16];
  for (int i = 0; i < 16; i++) for (int j = 0; j < 64; j++) { a[i][j] = (i * 7 + j * 3) % 23 - 11; b[i][j] = (i * 5 + j * 11) % 19 - 9; }
  // b is in VNNI layout: b[k/4][n*4 + k%4] ; want[m][n] = sum_k a[m][k] * B[k][n]
  for (int m = 0; m < 16; m++) for (int n = 0; n < 16; n++) { int s = 0; for (int k = 0; k < 64; k++) s += a[m][k] * b[k / 4][n * 4 + k % 4]; want[m][n] = s; }
  cfg_t cfg; memset(&cfg, 0, sizeof cfg); cfg.palette = 1;
  for (int t = 0; t < 4; t++) { cfg.rows[t] = 16; cfg.colsb[t] = 64; }
  _tile_loadconfig(&cfg);
  _tile_zero(0); _tile_loadd(1, a, 64); _tile_loadd(2, b, 64);
  _tile_dpbssd(0, 1, 2); _tile_stored(0, c, 64); _tile_release();
  static int8_t back[16][64]; _tile_loadconfig(&cfg); _tile_loadd(3, a, 64); _tile_stored(3, back, 64); _tile_release();
  printf("roundtrip of a tile: %s\n", memcmp(back, a, sizeof a) ? "differs" : "same");
  printf("c[0][0..3] = %d %d %d %d, want %d %d %d %d\n", c[0][0], c[0][1], c[0][2], c[0][3], want[0][0], want[0][1], want[0][2], want[0][3]);
  printf("c[15][12..15] = %d %d %d %d, want %d %d %d %d\n", c[15][12], c[15][13], c[15][14], c[15][15], want[15][12], want[15][13], want[15][14], want[15][15]);
  int bad = 0; for (int m = 0; m < 16; m++) for (int n = 0; n < 16; n++) bad += c[m][n] != want[m][n];
  printf("AMX int8 tile product: %d of 256 wrong\n", bad);
  // tile state across context switches: two processes, distinct tiles
  printf("fork\n");
  pid_t pid = fork();
  static int8_t mine[16][64], out[16][64];
  for (int i = 0; i < 16; i++) for (int j = 0; j < 64; j++) mine[i][j] = (int8_t)(i * 64 + j + (pid ? 0 : 77));
  _tile_loadconfig(&cfg); _tile_loadd(1, mine, 64);
  printf("%s: tiles loaded\n", pid ? "parent" : "child");
  for (int n = 0; n < 300; n++) sched_yield();
  printf("%s: yields done\n", pid ? "parent" : "child");
  _tile_stored(1, out, 64); _tile_release();
  int lost = memcmp(out, mine, sizeof mine) != 0;
  if (pid == 0) _exit(lost);
  int st = 0; waitpid(pid, &st, 0);
  printf("tiles across 300 context switches: parent %s, child %s\n", lost ? "lost" : "kept", (WIFEXITED(st) && WEXITSTATUS(st) == 0) ? "kept" : "lost");
  bad += lost + !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return bad ? 1 : 0;
}
