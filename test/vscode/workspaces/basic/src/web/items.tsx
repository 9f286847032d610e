export const Items = () => null;
