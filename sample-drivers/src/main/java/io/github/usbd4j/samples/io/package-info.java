/** Files the samples and the {@code usbd} tool write: whole or not at all ({@link io.github.usbd4j.samples.io.AtomicFile}). */
package io.github.usbd4j.samples.io;
