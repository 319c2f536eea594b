// e9cat FILE: copy FILE to Bochs's port 0xE9 (polled, no interrupts).
// bxexit: ask Bochs to quit through its shutdown port 0x8900.
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
int main(int argc, char **argv) {
  if (iopl(3)) { perror("iopl"); return 2; }
  if (strstr(argv[0], "bxexit")) { for (const char *p = "Shutdown"; *p; p++) outb(*p, 0x8900); return 0; }
  if (strstr(argv[0], "e9tee")) { int c; while ((c = getchar()) != EOF) outb(c, 0xE9); return 0; }
  FILE *f = fopen(argv[1], "rb"); if (!f) { perror(argv[1]); return 2; }
  int c; while ((c = fgetc(f)) != EOF) outb(c, 0xE9);
  return 0;
}
