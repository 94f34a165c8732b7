/** Every bundle built from our workflows carries this string; the plugin looks for it in prebuilt bundles. */
export const WORKFLOWS_MARKER = 'temporal-cascade:workflows:v1';
