// The one file allowed to read process.env.
export const environment = (): Record<string, string | undefined> => process.env;
