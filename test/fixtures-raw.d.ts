/** A recorded run imported as text by the Workers-pool tests (Vite's `?raw`). */
declare module "*.jsonl?raw" {
  const text: string;
  export default text;
}
