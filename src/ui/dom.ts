/** Small DOM helpers both pages use. */
export const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

export function element(tag: string, text?: string, attributes: Record<string, string> = {}): HTMLElement {
  const el = document.createElement(tag)
  if (text !== undefined) el.textContent = text
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value)
  return el
}
