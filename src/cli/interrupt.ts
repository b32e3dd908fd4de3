/**
 * Ctrl-C (SIGINT) or SIGTERM asks the running command to stop cleanly; a second one
 * forces the process out at once (exit status 130). Returns a function that stops listening.
 */
export function onInterrupt(stop: () => void, force: () => never = () => process.exit(130)): () => void {
  let asked = false;
  const listener = () => {
    if (asked) {
      force();
      return;
    }
    asked = true;
    stop();
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
