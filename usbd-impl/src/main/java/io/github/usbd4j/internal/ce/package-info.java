/**
 * The CE personality over the engine (not API): {@code USB_FUNCS}, its handles, CE's result codes, and
 * USBD's driver manager (registration, {@code LoadClients} matching, device notifications).
 */
package io.github.usbd4j.internal.ce;
