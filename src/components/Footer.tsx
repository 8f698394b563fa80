import { version } from '../../package.json';

export function Footer() {
  return (
    <footer className="lab-footer">
      <span>MoE Routing Lab v{version}</span>
      <nav aria-label="Project links">
        <a href="about/README.md">README</a>
        <a href="about/DESIGN.md">Design</a>
      </nav>
    </footer>
  );
}
