/**
 * What every Win32-style API of the library shares: the {@code winerror.h} error codes and the
 * per-thread last error ({@code GetLastError()}, {@code SetLastError()}), used by the CE USBD model and
 * the WinUSB personality alike.
 */
package io.github.usbd4j.win32;
