/** The WDM URB personality over the engine (not API). */
package io.github.usbd4j.internal.wdm;
