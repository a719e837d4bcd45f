() => {
  if (window.__ragCites) return;
  window.__ragCites = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.rag-cite') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const target = document.getElementById((link.getAttribute('href') || '').slice(1));
    if (!target) return;
    const details = target.closest('details');
    if (details) details.open = true;
    target.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    target.classList.remove('rag-flash');
    void target.offsetWidth;
    target.classList.add('rag-flash');
  }, true);
}
