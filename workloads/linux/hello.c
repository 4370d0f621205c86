/* The program bench's fork+exec runs (lmbench's "hello"): exits at once. */
#include <unistd.h>

int main(void) {
  _exit(0);
}
