/** The WinUSB isochronous personality over the engine (not API). */
package io.github.usbd4j.internal.winusb;
