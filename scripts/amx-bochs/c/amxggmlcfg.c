// ggml's AMX tile configuration (mmq.cpp ggml_tile_config_init), then TILEZERO on tiles 4..7.
#include <immintrin.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
typedef struct { uint8_t palette_id, start_row, reserved_0[14]; uint16_t colsb[16]; uint8_t rows[16]; } __attribute__((aligned(64))) tile_config_t;
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (syscall(SYS_arch_prctl, 0x1023, 18)) { printf("no AMX permission\n"); return 2; }
  tile_config_t tc; memset(&tc, 0, sizeof tc);
  tc.palette_id = 1;
  tc.rows[0] = 8; tc.colsb[0] = 64; tc.rows[1] = 8; tc.colsb[1] = 64;
  tc.rows[2] = 16; tc.colsb[2] = 32; tc.rows[3] = 16; tc.colsb[3] = 32;
  for (int t = 4; t < 8; t++) { tc.rows[t] = 16; tc.colsb[t] = 64; }
  printf("sizeof config %zu\n", sizeof tc);
  _tile_loadconfig(&tc); printf("loaded\n");
  _tile_zero(4); _tile_zero(5); _tile_zero(6); _tile_zero(7); printf("zeroed 4..7\n");
  return 0;
}
