// The hvsim executable: everything happens in app_main (hvsim_app_lib).
#include "sim/app/app_main.h"

int main(int argc, char** argv) {
  return hvsim::app::app_main(argc, argv);
}
