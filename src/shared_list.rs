//! [`SharedList`]: a persistent, append-only list whose copies share what they have in common.
//!
//! A list is a chain of nodes, each holding a few items and pointing at the list it extends. Cloning a
//! list copies one pointer; appending to a list that shares its last node with another copy adds a
//! node pointing at it, and appending to a list that owns its last node alone fills that node in
//! place. So a result that is "its input plus one item" costs one item, however long the input: the
//! image lists and property lists of `f ^ N` grow linearly in N, not quadratically. A list of one
//! item (the usual list of images between two features) holds it directly, without a node.
//!
//! A node is never changed once another list can see it, so two lists with the same last node hold
//! the same items, and a list contains another as a prefix exactly when the other's last node is one
//! of its nodes (lists that are equal item by item but built apart are told equal by walking them).
//! Walks never recurse: chains may be a million nodes long.

use std::collections::TryReserveError;
use std::sync::Arc;

use smallvec::SmallVec;

/// Items a node holds without an allocation of their own.
const INLINE: usize = 2;

/// A persistent list (see the module documentation). Cloning is O(1) and shares every item.
pub struct SharedList<T> {
    repr: Repr<T>,
}

enum Repr<T> {
    Empty,
    /// One item, held directly: most lists that features pass to each other hold one image, and most
    /// property lists start with one dict; they need no node.
    One(T),
    Nodes(Arc<Node<T>>),
}

struct Node<T> {
    /// The list this node extends.
    parent: Option<Arc<Node<T>>>,
    /// How many items the parent list has.
    base: usize,
    /// How many nodes the parent list has.
    depth: usize,
    /// This node's items, after the parent's. Filled in place only while the node is not shared.
    items: SmallVec<[T; INLINE]>,
}

impl<T> Node<T> {
    fn len(&self) -> usize {
        self.base + self.items.len()
    }
}

impl<T> Drop for Node<T> {
    fn drop(&mut self) {
        // Releases the chain one node at a time, so that dropping a long list cannot overflow the stack.
        let mut next = self.parent.take();
        while let Some(node) = next {
            next = Arc::into_inner(node).and_then(|mut n| n.parent.take());
        }
    }
}

impl<T> Default for SharedList<T> {
    fn default() -> Self {
        SharedList { repr: Repr::Empty }
    }
}

impl<T: Clone> Clone for SharedList<T> {
    fn clone(&self) -> Self {
        let repr = match &self.repr {
            Repr::Empty => Repr::Empty,
            Repr::One(item) => Repr::One(item.clone()),
            Repr::Nodes(head) => Repr::Nodes(Arc::clone(head)),
        };
        SharedList { repr }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for SharedList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> From<Vec<T>> for SharedList<T> {
    /// A list of `items` (no copy: the vector's buffer becomes the list's only node).
    fn from(items: Vec<T>) -> Self {
        let mut list = SharedList::new();
        list.append_vec(items);
        list
    }
}

impl<T> SharedList<T> {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// A list of one item (no allocation).
    pub fn one(item: T) -> Self {
        SharedList { repr: Repr::One(item) }
    }

    /// A list of the nodes ending at `head`.
    fn from_head(head: Option<Arc<Node<T>>>) -> Self {
        SharedList { repr: head.map_or(Repr::Empty, Repr::Nodes) }
    }

    fn head(&self) -> Option<&Node<T>> {
        match &self.repr {
            Repr::Nodes(head) => Some(head),
            _ => None,
        }
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Empty => 0,
            Repr::One(_) => 1,
            Repr::Nodes(head) => head.len(),
        }
    }

    /// Whether the list has no items.
    pub fn is_empty(&self) -> bool {
        matches!(self.repr, Repr::Empty)
    }

    /// Appends `item`: in place when this list owns its last node alone and the node has room,
    /// otherwise in a new node that shares the rest. Allocates at most one fixed-size node.
    pub fn push(&mut self, item: T) {
        match &mut self.repr {
            Repr::Empty => self.repr = Repr::One(item),
            Repr::One(_) => {
                let Repr::One(first) = std::mem::replace(&mut self.repr, Repr::Empty) else { unreachable!() };
                let mut items = SmallVec::new();
                items.extend([first, item]);
                self.repr = Repr::Nodes(Arc::new(Node { parent: None, base: 0, depth: 0, items }));
            }
            Repr::Nodes(head) => match Arc::get_mut(head) {
                Some(node) if node.items.len() < node.items.capacity() => node.items.push(item),
                _ => {
                    let mut items = SmallVec::new();
                    items.push(item);
                    self.extend_with(items);
                }
            },
        }
    }

    /// Appends every item of `items` in order (the vector's buffer is kept, not copied, when it holds
    /// more items than a node holds inline).
    pub fn append_vec(&mut self, mut items: Vec<T>) {
        match (&mut self.repr, items.len()) {
            (_, 0) => {}
            (Repr::Empty, 1) => self.repr = Repr::One(items.pop().expect("one item")),
            (Repr::Nodes(head), n) => match Arc::get_mut(head) {
                Some(node) if node.items.capacity() - node.items.len() >= n => node.items.extend(items),
                _ => self.extend_with(SmallVec::from_vec(items)),
            },
            _ => self.extend_with(SmallVec::from_vec(items)),
        }
    }

    /// Appends a node holding `items` (not empty).
    fn extend_with(&mut self, items: SmallVec<[T; INLINE]>) {
        let parent = match std::mem::replace(&mut self.repr, Repr::Empty) {
            Repr::Empty => None,
            Repr::One(first) => {
                let mut own = SmallVec::new();
                own.push(first);
                Some(Arc::new(Node { parent: None, base: 0, depth: 0, items: own }))
            }
            Repr::Nodes(head) => Some(head),
        };
        let (base, depth) = parent.as_ref().map_or((0, 0), |p| (p.len(), p.depth + 1));
        self.repr = Repr::Nodes(Arc::new(Node { parent, base, depth, items }));
    }

    /// The items in order.
    pub fn iter(&self) -> Iter<'_, T> {
        match &self.repr {
            Repr::Empty => Iter::of(&[]),
            Repr::One(item) => Iter::of(std::slice::from_ref(item)),
            Repr::Nodes(head) => Iter::new(head),
        }
    }

    /// The items from the last to the first (no allocation).
    pub fn iter_rev(&self) -> RevIter<'_, T> {
        let (node, items) = match &self.repr {
            Repr::Empty => (None, &[][..]),
            Repr::One(item) => (None, std::slice::from_ref(item)),
            Repr::Nodes(head) => (Some(&**head), &[][..]),
        };
        RevIter { node, items: items.iter().rev(), remaining: self.len() }
    }

    /// The first item (found by walking back from the end: O(nodes)).
    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    /// The last item.
    pub fn last(&self) -> Option<&T> {
        match &self.repr {
            Repr::Empty => None,
            Repr::One(item) => Some(item),
            Repr::Nodes(head) => head.items.last(),
        }
    }

    /// The item at `index`, found by walking back from the end: O(1) for the last node's items,
    /// O(nodes) otherwise.
    pub fn get(&self, index: usize) -> Option<&T> {
        let mut node = match &self.repr {
            Repr::Empty => return None,
            Repr::One(item) => return (index == 0).then_some(item),
            Repr::Nodes(head) => &**head,
        };
        if index >= node.len() {
            return None;
        }
        while index < node.base {
            node = node.parent.as_deref().expect("a node with a base has a parent");
        }
        node.items.get(index - node.base)
    }

    /// The items as one slice when they are in one place (at most one item, or one node), without
    /// copying.
    pub fn as_slice(&self) -> Option<&[T]> {
        match &self.repr {
            Repr::Empty => Some(&[]),
            Repr::One(item) => Some(std::slice::from_ref(item)),
            Repr::Nodes(head) if head.parent.is_none() => Some(&head.items),
            Repr::Nodes(_) => None,
        }
    }

    /// A vector of the items in order, or an error when it cannot be allocated.
    pub fn try_to_vec(&self) -> Result<Vec<T>, TryReserveError>
    where
        T: Clone,
    {
        let mut out = Vec::new();
        out.try_reserve_exact(self.len())?;
        out.extend(self.iter().cloned());
        Ok(out)
    }

    /// The items in order as a vector, moved out when this list is their only holder (a list of one
    /// item always is), cloned otherwise; an error when the vector cannot be allocated.
    pub fn try_into_vec(self) -> Result<Vec<T>, TryReserveError>
    where
        T: Clone,
    {
        match self.repr {
            Repr::One(item) => {
                let mut out = Vec::new();
                out.try_reserve_exact(1)?;
                out.push(item);
                Ok(out)
            }
            _ => self.try_to_vec(),
        }
    }

    /// Whether the two lists are the same list: both empty, or the same last node (so the same items).
    /// Lists of one item hold it directly: they are never the same list (compare the items).
    pub fn ptr_eq(&self, other: &SharedList<T>) -> bool {
        match (&self.repr, &other.repr) {
            (Repr::Empty, Repr::Empty) => true,
            (Repr::Nodes(a), Repr::Nodes(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Whether `prefix` is this list or a list this one was built on by appends (an empty list is a
    /// prefix of every list). Structural, O(nodes between the two ends): no item is compared, except
    /// the item of a one-item `prefix` (with `eq`), against this list's first. A list equal to a prefix
    /// item by item but built apart is not found.
    pub fn starts_with(&self, prefix: &SharedList<T>, eq: impl Fn(&T, &T) -> bool) -> bool {
        let target = match &prefix.repr {
            Repr::Empty => return true,
            Repr::One(item) => return self.first().is_some_and(|first| eq(first, item)),
            Repr::Nodes(head) => &**head,
        };
        let mut node = self.head();
        while let Some(n) = node {
            if n.depth < target.depth {
                return false;
            }
            if std::ptr::eq(n, target) {
                return true;
            }
            node = n.parent.as_deref();
        }
        false
    }

    /// Whether the two lists hold equal items (by `eq`) in the same order. O(1) when they are the same
    /// list; otherwise they are compared from the end, and the walk stops where they share a node.
    pub fn same_by(&self, other: &SharedList<T>, eq: impl Fn(&T, &T) -> bool) -> bool {
        if self.len() != other.len() {
            return false;
        }
        if self.is_empty() {
            return true;
        }
        let (Some(mut x), Some(mut y)) = (self.head(), other.head()) else {
            // At most one item each.
            return self.iter().zip(other.iter()).all(|(a, b)| eq(a, b));
        };
        // Positions inside the current nodes, counted from their ends.
        let (mut i, mut j) = (0, 0);
        loop {
            if std::ptr::eq(x, y) && i == j {
                return true;
            }
            if i == x.items.len() {
                let Some(parent) = x.parent.as_deref() else { return true };
                (x, i) = (parent, 0);
                continue;
            }
            if j == y.items.len() {
                let Some(parent) = y.parent.as_deref() else { return true };
                (y, j) = (parent, 0);
                continue;
            }
            if !eq(&x.items[x.items.len() - 1 - i], &y.items[y.items.len() - 1 - j]) {
                return false;
            }
            (i, j) = (i + 1, j + 1);
        }
    }

    /// A copy of this list with some items replaced: `replace` is called once on each item, in order,
    /// and returns its replacement or `None` to keep it. `Ok(None)` when nothing is replaced (nothing
    /// is allocated then); otherwise the copy shares the nodes before the first one with a
    /// replacement, and holds the rest in one new node.
    pub fn try_replace(
        &self,
        mut replace: impl FnMut(&T) -> Option<T>,
    ) -> Result<Option<SharedList<T>>, TryReserveError>
    where
        T: Clone,
    {
        let head = match &self.repr {
            Repr::Empty => return Ok(None),
            Repr::One(item) => return Ok(replace(item).map(SharedList::one)),
            Repr::Nodes(head) => &**head,
        };
        let nodes = nodes(head)?;
        let mut copy: Option<(SharedList<T>, Vec<T>)> = None;
        for node in nodes.iter().rev() {
            for (k, item) in node.items.iter().enumerate() {
                let new = replace(item);
                match (&mut copy, new) {
                    (None, None) => {}
                    (None, Some(new)) => {
                        let mut rest = Vec::new();
                        rest.try_reserve_exact(self.len() - node.base)?;
                        rest.extend(node.items[..k].iter().cloned());
                        rest.push(new);
                        copy = Some((SharedList::from_head(node.parent.clone()), rest));
                    }
                    (Some((_, rest)), new) => rest.push(new.unwrap_or_else(|| item.clone())),
                }
            }
        }
        Ok(copy.map(|(mut list, rest)| {
            list.append_vec(rest);
            list
        }))
    }
}

/// The nodes of the list ending at `head`, from the last to the first (room for them is the only
/// allocation of a forward walk).
fn nodes<T>(head: &Node<T>) -> Result<SmallVec<[&Node<T>; 8]>, TryReserveError> {
    let mut nodes = SmallVec::new();
    nodes.try_reserve(head.depth + 1).map_err(|_| too_many_nodes())?;
    let mut node = Some(head);
    while let Some(n) = node {
        nodes.push(n);
        node = n.parent.as_deref();
    }
    Ok(nodes)
}

/// The error of a failed reservation for the nodes of a walk (smallvec reports its own error type).
fn too_many_nodes() -> TryReserveError {
    Vec::<u8>::new().try_reserve(usize::MAX).expect_err("more than isize::MAX bytes are never reserved")
}

/// The items of a [`SharedList`] in order.
pub struct Iter<'a, T> {
    /// The nodes still to visit, the next one last.
    nodes: SmallVec<[&'a Node<T>; 8]>,
    /// When there was no room for `nodes`: the last node, and how many nodes from the first have been
    /// visited (each next node is then found by walking back from the last, without allocating).
    fallback: Option<(&'a Node<T>, usize)>,
    items: std::slice::Iter<'a, T>,
    remaining: usize,
}

impl<'a, T> Iter<'a, T> {
    /// The items of one slice.
    fn of(items: &'a [T]) -> Self {
        Iter { nodes: SmallVec::new(), fallback: None, items: items.iter(), remaining: items.len() }
    }

    /// The items of the list ending at `head`.
    fn new(head: &'a Node<T>) -> Self {
        let mut iter = Iter::of(&[]);
        iter.remaining = head.len();
        match nodes(head) {
            Ok(nodes) => iter.nodes = nodes,
            Err(_) => iter.fallback = Some((head, 0)),
        }
        iter
    }

    fn next_node(&mut self) -> Option<&'a Node<T>> {
        if let Some((head, visited)) = &mut self.fallback {
            let mut node = *head;
            if *visited > node.depth {
                return None;
            }
            while node.depth > *visited {
                node = node.parent.as_deref().expect("depth counts the parents");
            }
            *visited += 1;
            return Some(node);
        }
        self.nodes.pop()
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(item) = self.items.next() {
                self.remaining -= 1;
                return Some(item);
            }
            self.items = self.next_node()?.items.iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

/// The items of a [`SharedList`] from the last to the first.
pub struct RevIter<'a, T> {
    node: Option<&'a Node<T>>,
    items: std::iter::Rev<std::slice::Iter<'a, T>>,
    remaining: usize,
}

impl<'a, T> Iterator for RevIter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(item) = self.items.next() {
                self.remaining -= 1;
                return Some(item);
            }
            let node = self.node?;
            self.items = node.items.iter().rev();
            self.node = node.parent.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> ExactSizeIterator for RevIter<'_, T> {}

impl<'a, T> IntoIterator for &'a SharedList<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(list: &SharedList<u32>) -> Vec<u32> {
        list.iter().copied().collect()
    }

    fn head(list: &SharedList<u32>) -> Option<&Arc<Node<u32>>> {
        match &list.repr {
            Repr::Nodes(head) => Some(head),
            _ => None,
        }
    }

    /// The list `list` extends (its last node dropped).
    fn parent(list: &SharedList<u32>) -> SharedList<u32> {
        SharedList::from_head(head(list).and_then(|h| h.parent.clone()))
    }

    fn eq(a: &u32, b: &u32) -> bool {
        a == b
    }

    #[test]
    fn copies_share_their_prefix_and_appends_fill_unshared_nodes_in_place() {
        let mut a = SharedList::new();
        a.push(1);
        assert!(head(&a).is_none(), "one item needs no node");
        a.push(2);
        let first = head(&a).map(Arc::as_ptr);
        a.push(3); // the node is full (two inline items): a new node
        assert_ne!(head(&a).map(Arc::as_ptr), first);
        let mut b = a.clone();
        b.push(4); // shared: a new node on top of `a`'s
        a.push(5); // still shared with `b`'s parent: a new node too
        assert_eq!(items(&a), [1, 2, 3, 5]);
        assert_eq!(items(&b), [1, 2, 3, 4]);
        let rev: Vec<u32> = b.iter_rev().copied().collect();
        assert_eq!(rev, [4, 3, 2, 1]);
        assert!(b.starts_with(&SharedList::new(), eq));
        let prefix = parent(&a);
        assert!(a.starts_with(&prefix, eq) && b.starts_with(&prefix, eq) && !prefix.starts_with(&a, eq));
        assert!(!a.starts_with(&b, eq) && !b.starts_with(&a, eq));
        assert!(a.starts_with(&SharedList::one(1), eq) && !a.starts_with(&SharedList::one(2), eq));
        assert_eq!((0..5).map(|i| b.get(i).copied()).collect::<Vec<_>>(), [Some(1), Some(2), Some(3), Some(4), None]);
        assert_eq!((b.first(), b.last(), b.len()), (Some(&1), Some(&4), 4));
        let one = SharedList::one(9);
        assert_eq!(
            (one.first(), one.last(), one.get(1), one.len(), one.as_slice()),
            (Some(&9), Some(&9), None, 1, Some(&[9][..]))
        );
    }

    #[test]
    fn lists_built_apart_compare_item_by_item_and_shared_ones_stop_early() {
        let mut a = SharedList::from(vec![1, 2, 3]);
        let mut b = SharedList::new();
        for x in [1, 2, 3] {
            b.push(x);
        }
        assert!(a.same_by(&b, eq) && !a.ptr_eq(&b));
        let mut c = a.clone();
        c.push(4);
        a.push(4);
        assert!(a.same_by(&c, eq));
        // Shared below the last node: the shared part is never compared.
        assert!(a.same_by(&c, |x, y| x == y && *x == 4));
        assert!(!a.same_by(&b, eq));
        b.push(5);
        assert!(!a.same_by(&b, eq));
        assert_eq!(a.as_slice(), None);
        assert_eq!(SharedList::from(vec![7, 8]).as_slice(), Some(&[7, 8][..]));
        assert!(SharedList::one(1).same_by(&SharedList::from(vec![1]), eq));
        assert!(!SharedList::one(1).same_by(&SharedList::one(2), eq));
        assert!(SharedList::<u32>::new().same_by(&SharedList::new(), eq));
    }

    #[test]
    fn appends_of_vectors_keep_order_whatever_the_list_holds() {
        let mut list = SharedList::new();
        list.append_vec(vec![1]);
        list.append_vec(vec![2, 3, 4]);
        list.append_vec(Vec::new());
        list.push(5);
        list.append_vec(vec![6]);
        let copy = list.clone();
        list.append_vec(vec![7, 8, 9]);
        assert_eq!(items(&list), (1..=9).collect::<Vec<_>>());
        assert_eq!(items(&copy), (1..=6).collect::<Vec<_>>());
        assert!(list.starts_with(&copy, eq));
        assert_eq!(list.try_to_vec().unwrap(), (1..=9).collect::<Vec<_>>());
    }

    #[test]
    fn replace_shares_the_untouched_nodes() {
        let mut list = SharedList::from(vec![1, 2]);
        list.push(3);
        list.push(4);
        assert!(list.try_replace(|_| None).unwrap().is_none());
        let copy = list.try_replace(|&x| (x == 3).then_some(30)).unwrap().unwrap();
        assert_eq!(items(&copy), [1, 2, 30, 4]);
        assert_eq!(items(&list), [1, 2, 3, 4]);
        assert!(copy.starts_with(&parent(&parent(&list)), eq));
        let one = SharedList::one(1).try_replace(|&x| Some(x + 1)).unwrap().unwrap();
        assert_eq!(items(&one), [2]);
    }

    #[test]
    fn a_million_nodes_drop_and_walk_without_recursion() {
        let mut list = SharedList::new();
        let mut keep = Vec::new();
        for i in 0..1_000_000u32 {
            list.push(i);
            if i % 2 == 0 {
                keep.push(list.clone()); // shared: the next push makes a node
            }
        }
        drop(keep);
        assert_eq!(list.iter().len(), 1_000_000);
        assert_eq!(list.iter().nth(999_999), Some(&999_999));
        assert_eq!(list.iter_rev().last(), Some(&0));
        assert_eq!(list.get(123_456), Some(&123_456));
        drop(list); // 500,000 nodes, released one at a time
    }

    #[test]
    fn without_room_for_the_path_a_forward_walk_finds_each_node_from_the_end() {
        let mut list = SharedList::from(vec![0u32]);
        let mut keep = Vec::new();
        for i in 1..6 {
            keep.push(list.clone());
            list.push(i);
        }
        let mut iter = list.iter();
        iter.nodes.clear();
        iter.fallback = Some((head(&list).unwrap(), 0));
        assert_eq!(iter.copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
    }
}
